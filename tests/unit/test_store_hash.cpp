// store/hash: SHA-256 against the FIPS 180-2 vectors, streaming vs one shot, and digests as mlt
// shows them (Digest::hex/str/parse).
#include "store/hash.hpp"

#include <string>
#include <unordered_set>

#include <doctest/doctest.h>

using mlt::store::Digest;
using mlt::store::DigestHash;
using mlt::store::Sha256;
using mlt::store::sha256;

namespace {

const std::string empty_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string abc_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

}  // namespace

TEST_CASE("sha256 of the standard test vectors") {
  CHECK(sha256(std::string_view()).hex() == empty_hex);
  CHECK(sha256(std::string_view("abc")).hex() == abc_hex);
  CHECK(sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex() ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1'000'000, 'a');
  CHECK(sha256(million).hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // the (pointer, length) form sees exactly n bytes, NULs included
  const char with_nul[] = {'a', '\0', 'b'};
  CHECK(sha256(with_nul, 3) == sha256(std::string_view(with_nul, 3)));
  CHECK(sha256(with_nul, 3) != sha256(std::string_view("a")));
}

TEST_CASE("Sha256 streaming equals one shot, and finish() resets it for reuse") {
  std::string text;
  for (int i = 0; i < 10'000; ++i) text += static_cast<char>('a' + i % 26);
  Sha256 h;
  for (std::size_t pos = 0; pos < text.size(); pos += 777) {
    auto piece = std::string_view(text).substr(pos, 777);
    h.update(piece.data(), piece.size());
  }
  CHECK(h.finish() == sha256(text));
  // reused after finish: starts from nothing
  h.update("abc", 3);
  CHECK(h.finish().hex() == abc_hex);
  CHECK(h.finish().hex() == empty_hex);
  h.update("", 0);
  CHECK(h.finish().hex() == empty_hex);
}

TEST_CASE("Digest hex, str and parse round trip") {
  Digest d = sha256(std::string_view("abc"));
  CHECK(d.hex() == abc_hex);
  CHECK(d.str() == "sha256:" + abc_hex);
  CHECK(d.bytes[0] == 0xba);
  CHECK(d.bytes[31] == 0xad);
  REQUIRE(Digest::parse(d.str()));
  CHECK(*Digest::parse(d.str()) == d);
  REQUIRE(Digest::parse(d.hex()));
  CHECK(*Digest::parse(d.hex()) == d);
  // upper-case hex is read, and shown lower-case again
  std::string upper = abc_hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(Digest::parse(upper));
  CHECK(Digest::parse(upper)->hex() == abc_hex);
  // every byte value survives the round trip
  Digest all;
  for (std::size_t i = 0; i < 32; ++i) all.bytes[i] = static_cast<std::uint8_t>(i * 8 + 7);
  CHECK(Digest::parse(all.hex()) == all);
  CHECK(Digest::parse(all.str()) == all);
  CHECK(Digest().hex() == std::string(64, '0'));
}

TEST_CASE("Digest::parse rejects anything but 64 hex digits after an optional sha256:") {
  const std::string bad[] = {
      "",
      "sha256:",
      abc_hex.substr(0, 63),
      abc_hex + "0",
      "sha256:" + abc_hex.substr(0, 63),
      "sha256:" + abc_hex + "0",
      "g" + abc_hex.substr(1),
      abc_hex.substr(0, 63) + "z",
      " " + abc_hex.substr(1),
      abc_hex.substr(0, 32) + "-" + abc_hex.substr(33),
      "SHA256:" + abc_hex,
      "sha1:" + abc_hex,
      "sha256: " + abc_hex,
      "sha256:sha256:" + abc_hex,
      "0x" + abc_hex.substr(2),
      std::string(abc_hex).replace(10, 1, std::string(1, '\0')),
  };
  for (auto& s : bad) {
    CAPTURE(s);
    CHECK_FALSE(Digest::parse(s).has_value());
  }
}

TEST_CASE("Digests order bytewise and hash as set keys") {
  Digest a, b;
  b.bytes[31] = 1;
  CHECK(a < b);
  a.bytes[0] = 1;
  CHECK(b < a);
  std::unordered_set<Digest, DigestHash> set{sha256(std::string_view("x")), sha256(std::string_view("y")),
                                              sha256(std::string_view("x"))};
  CHECK(set.size() == 2);
  CHECK(set.count(sha256(std::string_view("y"))) == 1);
}
