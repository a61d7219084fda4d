// core/csv: RFC 4180 records (quoted fields holding the delimiter, doubled quotes and line
// breaks; CRLF; blank lines; an unclosed quote), the leniencies Python's csv module has, trimming
// around fields, other delimiters, and one line as one record for streams.
#include "base/csv.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace csv = mlt::core::csv;

namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows rows_of(const csv::Document& d) {
  Rows out;
  for (auto& r : d.records) out.push_back(r.fields);
  return out;
}

std::vector<std::string> line_of(std::string_view text, bool trim = false, std::string* error = nullptr) {
  std::vector<std::string> fields;
  auto e = csv::parse_line(text, fields, {',', trim});
  if (error) *error = e.value_or("");
  else REQUIRE_FALSE(e.has_value());
  return fields;
}

}  // namespace

TEST_CASE("csv parse: plain records, LF and CRLF, a last record without a line break") {
  auto d = csv::parse("a,b,c\r\n1,2,3\n4,,6");
  REQUIRE_FALSE(d.error.has_value());
  CHECK(rows_of(d) == Rows{{"a", "b", "c"}, {"1", "2", "3"}, {"4", "", "6"}});
  CHECK(d.records[0].line == 1);
  CHECK(d.records[2].line == 3);
  CHECK(rows_of(csv::parse("x\r\n")) == Rows{{"x"}});
  CHECK(rows_of(csv::parse("")).empty());
  CHECK(rows_of(csv::parse("a,\n")) == Rows{{"a", ""}});
}

TEST_CASE("csv parse: quoted fields hold commas, doubled quotes, line breaks and CRs") {
  auto d = csv::parse("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"cr\r\",x\r\nnext,1\n");
  REQUIRE_FALSE(d.error.has_value());
  CHECK(rows_of(d) == Rows{{"a,b", "say \"hi\"", "two\nlines"}, {"cr\r", "x"}, {"next", "1"}});
  CHECK(d.records[1].line == 3);   // the line break inside quotes counts
  CHECK(d.records[2].line == 4);
  CHECK(rows_of(csv::parse("\"\"")) == Rows{{""}});   // one empty quoted field is a record
  CHECK(rows_of(csv::parse("\"\"\"\"")) == Rows{{"\""}});
}

TEST_CASE("csv parse: blank lines are skipped") {
  CHECK(rows_of(csv::parse("a\n\n\r\nb\n")) == Rows{{"a"}, {"b"}});
}

TEST_CASE("csv parse: leniencies as Python's csv module reads them") {
  // a quote inside an unquoted field is a byte of it; bytes after a closing quote are added
  CHECK(rows_of(csv::parse("ab\"c,d\n")) == Rows{{"ab\"c", "d"}});
  CHECK(rows_of(csv::parse("\"ab\"c\"d\",e\n")) == Rows{{"abc\"d\"", "e"}});
  // without trim, spaces are data, and a quote after a space does not open a quoted field
  CHECK(rows_of(csv::parse(" a , \"b,c\"\n")) == Rows{{" a ", " \"b", "c\""}});
}

TEST_CASE("csv parse: an unclosed quote is an error naming the line it opened on") {
  auto d = csv::parse("a,b\n1,2\n3,\"4\n5,6\n");
  REQUIRE(d.error.has_value());
  CHECK(d.error->line == 3);
  CHECK(d.error->reason == "a quoted field is not closed");
  CHECK(rows_of(d) == Rows{{"a", "b"}, {"1", "2"}});
}

TEST_CASE("csv parse: another delimiter (TSV)") {
  CHECK(rows_of(csv::parse("a\tb,c\n\"x\ty\"\t2\n", {'\t', false})) == Rows{{"a", "b,c"}, {"x\ty", "2"}});
}

TEST_CASE("csv parse_line: one record per line, trimmed outside quotes") {
  CHECK(line_of("a,b,c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(line_of(" 3 , \"0.4\" ,nan\r", true) == std::vector<std::string>{"3", "0.4", "nan"});
  CHECK(line_of("\" val loss, smoothed \",\"a\"\"b\"", true) ==
        std::vector<std::string>{" val loss, smoothed ", "a\"b"});
  CHECK(line_of("", true) == std::vector<std::string>{""});
  CHECK(line_of(",", true) == std::vector<std::string>{"", ""});
  CHECK(line_of("\t\"\"\t,x", true) == std::vector<std::string>{"", "x"});
  std::string error;
  line_of("1,\"2,3", true, &error);
  CHECK(error == "a quoted field is not closed at the end of the line");
  line_of("1\n2", true, &error);
  CHECK(error == "a line break outside quotes");
}
