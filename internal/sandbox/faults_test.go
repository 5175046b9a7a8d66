package sandbox

import "testing"

func TestFaultsFireInOrderOnMatchingPathsOnly(t *testing.T) {
	var q Faults
	q.Arm(Fault{Kind: FaultServerError, Count: 2, Path: "/api/Invoices"}, "/api")
	q.Arm(Fault{Kind: FaultTimeoutAfterStore, Path: "contacts"}, "/api")
	q.Arm(Fault{Kind: FaultRateLimit}, "/api")
	if got := q.Pending(); got != 4 {
		t.Fatalf("pending = %d, want 4", got)
	}
	// A write-time fault never replaces a call, and a path fault skips other paths.
	if k, ok := q.Take("/Contacts", false); !ok || k != FaultRateLimit {
		t.Fatalf("take /Contacts = %q %v, want rate_limit", k, ok)
	}
	for i := 0; i < 2; i++ {
		if k, ok := q.Take("/invoices/123", false); !ok || k != FaultServerError {
			t.Fatalf("take %d on /invoices = %q %v, want server_error (case ignored)", i, k, ok)
		}
	}
	if k, ok := q.Take("/Invoices", false); ok {
		t.Fatalf("third take on /Invoices fired %q; the fault had count 2", k)
	}
	if _, ok := q.Take("/Invoices", true); ok {
		t.Fatal("the timeout armed for /contacts fired on /Invoices")
	}
	if k, ok := q.Take("/Contacts", true); !ok || k != FaultTimeoutAfterStore {
		t.Fatalf("take write /Contacts = %q %v, want timeout_after_store", k, ok)
	}
	if got := q.Pending(); got != 0 {
		t.Fatalf("pending = %d after every fault fired", got)
	}
}

func TestFaultKindValid(t *testing.T) {
	for _, k := range []FaultKind{FaultServerError, FaultRateLimit, FaultTimeoutAfterStore, FaultRevoke, FaultExpireAccessTokens} {
		if err := k.Valid(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if err := FaultKind("meteor").Valid(); err == nil {
		t.Error("an unknown kind was accepted")
	}
}
