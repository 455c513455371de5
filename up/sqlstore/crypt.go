package sqlstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// KeySize is the length in bytes of an encryption key: AES-256.
const KeySize = 32

// maxKeyIDLen bounds a key identifier, which is stored in every row.
const maxKeyIDLen = 64

// Key is an AES-256 key for sealing tokens at rest, with the identifier
// stored beside every token it seals so that the right key is found again
// after keys are rotated. Make one with [NewKey] or [ParseKey]; its secret
// cannot be read back, and printing or logging a Key shows only its ID.
type Key struct {
	id     string
	secret []byte
}

// NewKey returns a Key with identifier id and a copy of secret, which must
// be KeySize random bytes. The identifier is 1 to 64 characters of
// A-Z a-z 0-9 . _ - and names the key in rows and errors, so it must never
// be reused for a different secret; a date such as "2026-01" works well.
func NewKey(id string, secret []byte) (Key, error) {
	if err := validKeyID(id); err != nil {
		return Key{}, err
	}
	if len(secret) != KeySize {
		return Key{}, invalidf("encryption key %q has %d bytes, want %d", id, len(secret), KeySize)
	}
	return Key{id: id, secret: append([]byte(nil), secret...)}, nil
}

// ParseKey parses a key written as "ID:SECRET", SECRET being the standard
// base64 of KeySize random bytes (as `head -c 32 /dev/urandom | base64`
// prints), the form in which keys travel in environment variables and
// secret managers. Errors never quote the secret.
func ParseKey(s string) (Key, error) {
	id, enc, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Key{}, invalidf("an encryption key is written ID:BASE64SECRET")
	}
	secret, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return Key{}, invalidf("the secret of encryption key %q is not standard base64", id)
	}
	return NewKey(id, secret)
}

// ID returns the key's identifier.
func (k Key) ID() string { return k.id }

// String describes the key by its identifier alone.
func (k Key) String() string { return "sqlstore.Key{ID:" + strconv.Quote(k.id) + ", secret redacted}" }

// GoString is String, so that %#v cannot print the secret.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb, so that no verb (%x, %d ...) prints the secret.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue logs the identifier alone.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.id), slog.String("secret", "redacted"))
}

// validKeyID checks a key identifier: short, and of characters that need
// no quoting in logs, environment variables or SQL.
func validKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return invalidf("an encryption key identifier has 1 to %d characters, not %d", maxKeyIDLen, len(id))
	}
	for _, c := range id {
		if !keyIDChar(c) {
			return invalidf("encryption key identifier %q has a character outside A-Z a-z 0-9 . _ -", id)
		}
	}
	return nil
}

func keyIDChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// Keyring holds the keys a Store seals and opens tokens with: the primary
// key seals every token written, and the older keys still open the tokens
// they sealed, so keys rotate without a flag day. Printing or logging a
// Keyring shows only key identifiers.
type Keyring struct {
	primary string
	ids     []string // primary first
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a Keyring that seals with primary and opens tokens
// sealed by primary or any of older. Identifiers must be distinct.
//
// To rotate: generate a key with a new identifier, make it the primary and
// pass the previous primary among older, deploy, run [Store.Reencrypt]
// once, and drop the old key when [Store.CountByKey] shows no row uses it.
func NewKeyring(primary Key, older ...Key) (*Keyring, error) {
	r := &Keyring{primary: primary.id, aeads: make(map[string]cipher.AEAD, 1+len(older))}
	for _, k := range append([]Key{primary}, older...) {
		if err := validKeyID(k.id); err != nil {
			return nil, err
		}
		if len(k.secret) != KeySize {
			return nil, invalidf("encryption key %q has %d bytes, want %d (make keys with NewKey or ParseKey)", k.id, len(k.secret), KeySize)
		}
		if _, dup := r.aeads[k.id]; dup {
			return nil, invalidf("encryption key identifier %q is given twice", k.id)
		}
		block, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, invalidf("encryption key %q: %v", k.id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, invalidf("encryption key %q: %v", k.id, err)
		}
		r.aeads[k.id] = aead
		r.ids = append(r.ids, k.id)
	}
	return r, nil
}

// ParseKeyring parses a comma-separated list of keys in the form ParseKey
// reads, the primary key first: "2026-06:BASE64,2025-12:BASE64".
func ParseKeyring(s string) (*Keyring, error) {
	var keys []Key
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, err := ParseKey(part)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, invalidf("no encryption key given")
	}
	return NewKeyring(keys[0], keys[1:]...)
}

// PrimaryID returns the identifier of the key that seals new tokens.
func (r *Keyring) PrimaryID() string { return r.primary }

// IDs returns the identifiers of every key, the primary first.
func (r *Keyring) IDs() []string { return append([]string(nil), r.ids...) }

// String describes the keyring by its key identifiers alone.
func (r *Keyring) String() string {
	if r == nil {
		return "sqlstore.Keyring(nil)"
	}
	return fmt.Sprintf("sqlstore.Keyring{primary:%q, keys:%q, secrets redacted}", r.primary, r.ids)
}

// GoString is String, so that %#v cannot print a secret.
func (r *Keyring) GoString() string { return r.String() }

// Format prints String for every verb.
func (r *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue logs the key identifiers alone.
func (r *Keyring) LogValue() slog.Value {
	if r == nil {
		return slog.StringValue("none")
	}
	return slog.GroupValue(slog.String("primary", r.primary), slog.Any("keys", r.ids))
}

// The additional data bound into every sealed token: a format tag, the
// key identifier and the user key. A ciphertext moved to another user's
// row, or relabelled with another key identifier, fails authentication.
const aadPrefix = "up-go/sqlstore token v1\x00"

func additionalData(keyID, userKey string) []byte {
	b := make([]byte, 0, len(aadPrefix)+len(keyID)+1+len(userKey))
	b = append(b, aadPrefix...)
	b = append(b, keyID...)
	b = append(b, 0)
	return append(b, userKey...)
}

// seal encrypts plaintext for userKey under the primary key and returns
// the primary's identifier and nonce || ciphertext || tag.
func (r *Keyring) seal(userKey string, plaintext []byte) (string, []byte, error) {
	aead := r.aeads[r.primary]
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return "", nil, fmt.Errorf("sqlstore: making a nonce: %w", err)
	}
	return r.primary, aead.Seal(out, out, plaintext, additionalData(r.primary, userKey)), nil
}

// open decrypts what seal returned for userKey under keyID.
func (r *Keyring) open(userKey, keyID string, sealed []byte) ([]byte, error) {
	aead, ok := r.aeads[keyID]
	if !ok {
		return nil, &UnknownKeyError{Key: userKey, KeyID: keyID}
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, &CorruptTokenError{Key: userKey, KeyID: keyID, Reason: "the ciphertext is too short"}
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], additionalData(keyID, userKey))
	if err != nil {
		return nil, &CorruptTokenError{Key: userKey, KeyID: keyID,
			Reason: "the ciphertext fails authentication (changed, or copied from another row)"}
	}
	return plain, nil
}
