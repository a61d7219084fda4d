// CSV as RFC 4180 writes it, read in one place (`mlt log stream --format csv`, CSV input examples
// of `mlt model save`):
//
//   file   := record (EOL record)* EOL?            EOL := LF | CRLF
//   record := field (DELIM field)*                 DELIM is ',' (or '\t' for TSV)
//   field  := '"' (any byte but '"' | '""')* '"' | (any byte but DELIM, '"', CR, LF)*
//
// A quoted field may hold the delimiter, line breaks and quotes (written twice). Leniencies, as
// Python's csv module and pandas read: a quote inside an unquoted field is an ordinary byte, and
// bytes after a closing quote are added to the field ("ab"c is abc). A quoted field that is never
// closed is an error. With `trim`, spaces and tabs around a field (outside its quotes) are dropped.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlt::core::csv {

struct Options {
  char delimiter = ',';
  bool trim = false;   // drop spaces and tabs around fields, outside quotes
};

struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;   // 1-based line where the record starts
};

struct ParseError {
  std::size_t line = 0;   // 1-based line of the offending quote
  std::string reason;
};

// Every record of `text`; blank lines are skipped (a line holding only "" is a record of one
// empty field). On a malformed text, `error` is set and `records` holds those before it.
struct Document {
  std::vector<Record> records;
  std::optional<ParseError> error;
};
Document parse(std::string_view text, const Options& opt = {});

// One line as one record (a stream reads a record per line, so that a stray quote cannot swallow
// the lines after it). A final CR is dropped. Returns the reason when the line is malformed.
std::optional<std::string> parse_line(std::string_view line, std::vector<std::string>& fields,
                                      const Options& opt = {});

}  // namespace mlt::core::csv
