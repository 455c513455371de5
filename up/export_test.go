package up

// Test helpers of package up that the package's external tests share.
var (
	Authorize      = authorize
	NewNoLockStore = newNoLockStore
)
