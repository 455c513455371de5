package up

// Version is the version of this module, sent in the User-Agent header.
const Version = "0.1.0"
