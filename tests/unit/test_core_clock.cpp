// core/clock: now_ms (MLT_NOW_MS), rfc3339_utc, human_duration.
#include "base/clock.hpp"

#include <chrono>
#include <ctime>
#include <cstdint>
#include <string>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::core::human_duration;
using mlt::core::now_ms;
using mlt::core::rfc3339_utc;
using mlt::test::ScopedEnv;
using mlt::test::thrown;

TEST_CASE("rfc3339_utc") {
  CHECK(rfc3339_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(rfc3339_utc(1) == "1970-01-01T00:00:00.001Z");
  CHECK(rfc3339_utc(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  CHECK(rfc3339_utc(951'782'400'000) == "2000-02-29T00:00:00.000Z");
  CHECK(rfc3339_utc(1'767'225'599'999) == "2025-12-31T23:59:59.999Z");
  CHECK(rfc3339_utc(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(rfc3339_utc(-999) == "1969-12-31T23:59:59.001Z");
  CHECK(rfc3339_utc(-1000) == "1969-12-31T23:59:59.000Z");
  CHECK(rfc3339_utc(-1001) == "1969-12-31T23:59:58.999Z");
  CHECK(rfc3339_utc(-86'400'000) == "1969-12-31T00:00:00.000Z");
}

TEST_CASE("rfc3339_utc does not depend on TZ") {
  ScopedEnv tz("TZ", "Asia/Kolkata");
  tzset();
  CHECK(rfc3339_utc(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  tz.set(std::nullopt);
  tzset();
}

TEST_CASE("human_duration buckets") {
  CHECK(human_duration(-5) == "0ms");
  CHECK(human_duration(0) == "0ms");
  CHECK(human_duration(950) == "950ms");
  CHECK(human_duration(999) == "999ms");
  CHECK(human_duration(1000) == "1.0s");
  CHECK(human_duration(12'340) == "12.3s");
  CHECK(human_duration(59'900) == "59.9s");
  CHECK(human_duration(60'000) == "1m00s");
  CHECK(human_duration(245'000) == "4m05s");
  CHECK(human_duration(245'999) == "4m05s");
  CHECK(human_duration(3'599'999) == "59m59s");
  CHECK(human_duration(3'600'000) == "1h00m");
  CHECK(human_duration(7'380'000) == "2h03m");
  CHECK(human_duration(86'399'999) == "23h59m");
  CHECK(human_duration(86'400'000) == "1d00h");
  CHECK(human_duration(273'600'000) == "3d04h");
  CHECK(human_duration(100LL * 86'400'000) == "100d00h");
}

// Every other bucket truncates (4m05.999s shows 4m05s). 59.96 s rounds up to "60.0s", a value
// that belongs to the next bucket ("1m00s"), and is later than the time it shows.
TEST_CASE("human_duration never shows 60.0s") {
  CHECK(human_duration(59'950) == "59.9s");
  CHECK(human_duration(59'999) == "59.9s");
}

TEST_CASE("now_ms honours MLT_NOW_MS") {
  ScopedEnv pin("MLT_NOW_MS", "1700000000123");
  CHECK(now_ms() == 1'700'000'000'123);
  pin.set("0");
  CHECK(now_ms() == 0);

  using namespace std::chrono;
  auto wall = [] { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); };
  pin.set(std::nullopt);
  auto before = wall();
  auto got = now_ms();
  auto after = wall();
  CHECK(got >= before);
  CHECK(got <= after);
  pin.set("");   // empty counts as unset
  before = wall();
  got = now_ms();
  after = wall();
  CHECK(got >= before);
  CHECK(got <= after);
}

TEST_CASE("now_ms rejects a garbage MLT_NOW_MS with exit 2") {
  ScopedEnv pin("MLT_NOW_MS", std::nullopt);
  for (const char* bad : {"abc", "12x", "-5", "1.5", "1e3", "0x10"}) {
    pin.set(bad);
    auto e = thrown([] { now_ms(); });
    REQUIRE_MESSAGE(e, bad);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == std::string("invalid MLT_NOW_MS '") + bad + "'");
  }
}

// strtoll clamps an out-of-range number to LLONG_MAX; that is garbage, not a time.
TEST_CASE("now_ms rejects an MLT_NOW_MS beyond int64") {
  ScopedEnv pin("MLT_NOW_MS", "99999999999999999999");
  auto e = thrown([] { now_ms(); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
}
