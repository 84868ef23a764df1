// Package exports writes analysts' lists as CSV files, streamed row by row
// in constant memory whatever their size, each export scoped to what the
// viewer may see and recorded in the audit log.
package exports
