package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Service names an accounting system in the messages of transport failures.
type Service struct {
	Name        string // "Xero"
	Login       string // who refreshes tokens: "Xero's login service"
	RefreshHint string // the fix when a refresh token is refused
}

// ClassifyTransport classifies a failure where no answer was read from the service. write says
// whether the request could change the books and wrote whether it was sent in full: only a write
// that was sent can have taken effect unseen, an unknown outcome. A refused token refresh is an
// Auth error (the token endpoint's body is not copied into it: it is not ours to log).
func ClassifyTransport(s Service, err error, write, wrote bool) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		safe := fmt.Errorf("oauth2: token refresh failed: status %d, error %q", status, re.ErrorCode)
		if status >= 500 {
			return &Error{Class: Transient, Code: "token_service_unavailable",
				Message: s.Login + " failed while refreshing the access token", Err: safe}
		}
		return &Error{Class: Auth, Code: "token_refresh_refused",
			Message: s.Name + " connection expired: the refresh token was refused (" + re.ErrorCode + ")",
			Details: []Detail{{Message: s.Name + " refused to refresh the access token", Fix: s.RefreshHint}},
			Err:     safe}
	}
	timeout := errors.Is(err, context.DeadlineExceeded)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		timeout = true
	}
	cause, code := "Network error talking to "+s.Name, "network_error"
	if timeout {
		cause, code = "Timeout waiting for "+s.Name, "timeout"
	}
	if write && wrote {
		return &Error{Class: UnknownOutcome, Code: code,
			Message: cause + " after the request was sent; it may or may not have been applied",
			Details: []Detail{{Message: s.Name + " received the request but did not answer",
				Fix: "None needed: booksync looks the objects up in " + s.Name + " before trying again"}},
			Err: err}
	}
	return &Error{Class: Transient, Code: code, Message: cause, Err: err}
}

// TrackWrite returns a context whose HTTP request reports whether it was sent in full, and the
// function that tells. Only a write that was sent may have taken effect unseen (ClassifyTransport's
// wrote); the transport reports it from its own goroutine, possibly after Do has given up.
func TrackWrite(ctx context.Context) (context.Context, func() bool) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	return ctx, wrote.Load
}

// Answer is a service's answer to one request, whatever its status.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// maxAnswer bounds the body read from a service. Answers are small (a page of 1000 accounts at
// most); 32 MiB guards against a misbehaving proxy.
const maxAnswer = 32 << 20

// RoundTrip sends one request to the service within timeout and reads its whole answer. body is
// JSON (nil for none); header is added to Accept and Content-Type. Its error, when no answer was
// read, is a *Error from ClassifyTransport, which knows whether a write may have taken effect.
func (s Service) RoundTrip(ctx context.Context, client *http.Client, timeout time.Duration, method, url string, header http.Header, body []byte) (Answer, *Error) {
	write := IsWrite(method)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx, wrote := TrackWrite(ctx)
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return Answer{}, &Error{Class: NeedsUserAction, Code: "bad_configuration",
			Message: s.Name + " API URL is invalid", Err: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, ClassifyTransport(s, err, write, wrote())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		// The status line arrived, so the request reached the service.
		return Answer{}, ClassifyTransport(s, err, write, true)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// IsWrite reports whether a request can change the books, which decides whether a failure after
// sending it is an unknown outcome. Queries are GETs; every POST, PUT and DELETE may write.
func IsWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}
