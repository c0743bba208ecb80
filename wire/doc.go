// Package wire defines the protocol types and validation rules shared by the Wharf server and client.
//
// It has no dependencies outside the standard library. Every validation error
// matches [ErrInvalid] with [errors.Is], and every size-limit error matches
// [ErrTooLarge]; error messages are lowercase, name the offending input and say
// which rule it breaks, because servers send them to clients as they are.
package wire
