package sqlstore

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/upapi/up-go/up"
)

// Sentinel errors. Test for them with errors.Is; the typed errors below
// match the ones that describe them.
var (
	// ErrEmptyKey reports an empty user key: a Store keys tokens by a
	// non-empty string the application chooses. It matches up.ErrEmptyKey,
	// so one errors.Is test serves every Store.
	ErrEmptyKey = fmt.Errorf("sqlstore: %w", up.ErrEmptyKey)
	// ErrKeyTooLong reports a user key longer than MaxKeyBytes. The error
	// does not quote the key.
	ErrKeyTooLong = fmt.Errorf("sqlstore: user key longer than %d bytes", MaxKeyBytes)
	// ErrEmptyToken reports a token to store with neither an access token
	// nor a refresh token: one that could never be used, so Update refuses
	// it (return nil from the UpdateFunc to delete a token).
	ErrEmptyToken = errors.New("sqlstore: token has neither an access token nor a refresh token")
	// ErrInvalidOptions reports Options or encryption keys that New,
	// NewKey, ParseKey or NewKeyring refuse; the message says which and why.
	ErrInvalidOptions = errors.New("sqlstore: invalid options")
	// ErrUnknownKey matches an *UnknownKeyError: a stored token sealed with
	// an encryption key the Keyring does not hold.
	ErrUnknownKey = errors.New("sqlstore: token sealed with an unknown encryption key")
	// ErrCorruptToken matches a *CorruptTokenError: a stored token that
	// fails authentication or does not decode.
	ErrCorruptToken = errors.New("sqlstore: stored token is corrupt")
	// ErrSchemaTooNew matches a *SchemaVersionError: the database was
	// migrated by a newer version of this package.
	ErrSchemaTooNew = errors.New("sqlstore: database schema is newer than this package")
	// ErrNoKeyring reports a call that needs encryption keys on a Store
	// made without Options.Keys.
	ErrNoKeyring = errors.New("sqlstore: the store has no encryption keys")
)

// MaxKeyBytes is the longest user key a Store accepts, in bytes. The key
// is the table's primary key, and PostgreSQL cannot index a value of more
// than about 2.7 KB (a third of a page): without a limit, a long key
// would be refused by the database only when its token is written, after
// the login that made the token. Every dialect refuses a longer key the
// same way, with ErrKeyTooLong, before any statement.
const MaxKeyBytes = 1024

// checkUserKey refuses the empty key and a key longer than MaxKeyBytes.
func checkUserKey(key string) error {
	switch {
	case key == "":
		return ErrEmptyKey
	case len(key) > MaxKeyBytes:
		return ErrKeyTooLong
	}
	return nil
}

// UnknownKeyError reports a stored token sealed with an encryption key
// whose identifier the Store's Keyring does not hold: a key retired too
// early, or a Store configured without the keys its rows need. Add the key
// to the Keyring (as an older key) to read the token, or delete the row
// with [Store.Delete]. It matches [ErrUnknownKey].
type UnknownKeyError struct {
	Key   string // the user key whose token could not be read
	KeyID string // the identifier of the encryption key the token is sealed with
}

// Error names the user and the missing key.
func (e *UnknownKeyError) Error() string {
	return "sqlstore: the token of user " + strconv.Quote(e.Key) + " is sealed with encryption key " +
		strconv.Quote(e.KeyID) + ", which the keyring does not hold"
}

// Is makes errors.Is(err, ErrUnknownKey) true.
func (e *UnknownKeyError) Is(target error) bool { return target == ErrUnknownKey }

// CorruptTokenError reports a stored token that cannot be read back: its
// ciphertext fails authentication (it was changed, or copied from another
// user's row) or its content is not a token. It never holds any part of
// the token. It matches [ErrCorruptToken].
type CorruptTokenError struct {
	Key    string // the user key whose token could not be read
	KeyID  string // the encryption key identifier stored beside it; empty when stored in clear
	Reason string // what is wrong, without any of the stored bytes
}

// Error names the user and what is wrong, without the stored bytes.
func (e *CorruptTokenError) Error() string {
	s := "sqlstore: the stored token of user " + strconv.Quote(e.Key)
	if e.KeyID != "" {
		s += " (sealed with encryption key " + strconv.Quote(e.KeyID) + ")"
	}
	return s + " is corrupt: " + e.Reason
}

// Is makes errors.Is(err, ErrCorruptToken) true.
func (e *CorruptTokenError) Is(target error) bool { return target == ErrCorruptToken }

// SchemaVersionError reports a table whose schema was migrated by a newer
// version of this package than the running one, which therefore cannot be
// sure it reads and writes the rows correctly. Upgrade every process that
// shares the database. It matches [ErrSchemaTooNew].
type SchemaVersionError struct {
	Table string // the token table, as configured
	Found int    // the newest schema version recorded in the database
	Known int    // the newest schema version this package knows
}

// Error names the table and both versions.
func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("sqlstore: table %q is at schema version %d, but this version of the package knows only up to %d; upgrade it",
		e.Table, e.Found, e.Known)
}

// Is makes errors.Is(err, ErrSchemaTooNew) true.
func (e *SchemaVersionError) Is(target error) bool { return target == ErrSchemaTooNew }

// invalidf returns an error matching ErrInvalidOptions with a message.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
}
