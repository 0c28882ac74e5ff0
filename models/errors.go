package models

import (
	"errors"
	"strings"
)

// Errors that handlers turn into 4xx pages.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
)

// FieldError is one invalid input. Message is an i18n message id so the web
// layer can show it in the reader's language.
type FieldError struct {
	Field   string
	Message string
	Args    map[string]any
}

// ValidationError collects the invalid fields of one request. Nothing is
// written when it is returned.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records an invalid field.
func (e *ValidationError) Add(field, message string, args map[string]any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message, Args: args})
}

// Err returns e when it holds any field, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Field returns the first error for field, if any.
func (e *ValidationError) Field(name string) *FieldError {
	if e == nil {
		return nil
	}
	for i := range e.Fields {
		if e.Fields[i].Field == name {
			return &e.Fields[i]
		}
	}
	return nil
}
