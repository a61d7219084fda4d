#include "base/csv.hpp"

#include <utility>

namespace mlt::core::csv {
namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

// The state machine both readers share, fed one byte at a time.
class Scanner {
 public:
  explicit Scanner(const Options& opt) : opt_(opt) {}

  // Takes one byte; true when it ended a record (a line feed outside quotes).
  bool put(char c) {
    if (state_ == State::quoted) {
      if (c == '"') {
        state_ = State::after_quote;
        kept_ = field_.size();
      } else {
        if (c == '\n') ++line_;
        field_ += c;
      }
      return false;
    }
    if (state_ == State::after_quote && c == '"') {   // "" inside quotes: one quote
      field_ += '"';
      state_ = State::quoted;
      return false;
    }
    if (c == '\n') {
      if (field_.size() > kept_ && field_.back() == '\r') field_.pop_back();
      end_field();
      ++line_;
      return true;
    }
    if (c == opt_.delimiter) {
      end_field();
      return false;
    }
    if (state_ == State::start) {
      if (opt_.trim && blank(c)) return false;
      if (c == '"') {
        state_ = State::quoted;
        quoted_ = true;
        quote_line_ = line_;
        return false;
      }
    }
    state_ = State::unquoted;
    field_ += c;
    return false;
  }

  bool in_quotes() const { return state_ == State::quoted; }
  std::size_t quote_line() const { return quote_line_; }
  std::size_t line() const { return line_; }
  // Something since the last record ended (the text ends without a line feed).
  bool pending() const { return state_ != State::start || !fields_.empty() || !field_.empty(); }

  // Ends the last field of a record that has no line feed after it.
  void end_text() {
    if (field_.size() > kept_ && field_.back() == '\r') field_.pop_back();
    end_field();
  }

  // The record just ended; `blank` when it was an empty line.
  std::vector<std::string> take(bool& is_blank) {
    is_blank = fields_.size() == 1 && fields_[0].empty() && !quoted_;
    quoted_ = false;
    return std::exchange(fields_, {});
  }

 private:
  enum class State { start, unquoted, quoted, after_quote };

  void end_field() {
    if (opt_.trim)
      while (field_.size() > kept_ && blank(field_.back())) field_.pop_back();
    fields_.push_back(std::exchange(field_, {}));
    state_ = State::start;
    kept_ = 0;
  }

  const Options& opt_;
  State state_ = State::start;
  std::vector<std::string> fields_;
  std::string field_;
  std::size_t kept_ = 0;   // bytes of field_ that came from inside quotes (never trimmed)
  bool quoted_ = false;    // the record has a quoted field
  std::size_t line_ = 1, quote_line_ = 1;
};

}  // namespace

Document parse(std::string_view text, const Options& opt) {
  Document doc;
  Scanner s(opt);
  std::size_t record_line = 1;
  auto emit = [&] {
    bool is_blank = false;
    auto fields = s.take(is_blank);
    if (!is_blank) doc.records.push_back({std::move(fields), record_line});
    record_line = s.line();
  };
  for (char c : text)
    if (s.put(c)) emit();
  if (s.in_quotes()) {
    doc.error = ParseError{s.quote_line(), "a quoted field is not closed"};
    return doc;
  }
  if (s.pending()) {
    s.end_text();
    emit();
  }
  return doc;
}

std::optional<std::string> parse_line(std::string_view line, std::vector<std::string>& fields, const Options& opt) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  Scanner s(opt);
  for (char c : line)
    if (s.put(c)) return std::string("a line break outside quotes");   // callers split lines first
  if (s.in_quotes()) return std::string("a quoted field is not closed at the end of the line");
  s.end_text();
  bool is_blank = false;
  fields = s.take(is_blank);
  return std::nullopt;
}

}  // namespace mlt::core::csv
