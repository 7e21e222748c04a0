#include <doctest/doctest.h>

#include <limits>

#include "wanderluxe/money.h"

namespace wanderluxe {
namespace {

TEST_SUITE("unit.money") {
  TEST_CASE("currency digits follow ISO 4217") {
    CHECK(CurrencyMinorDigits("USD") == 2);
    CHECK(CurrencyMinorDigits("JPY") == 0);
    CHECK(CurrencyMinorDigits("KWD") == 3);
  }

  TEST_CASE("plain decimals parse exactly into minor units") {
    CHECK(ParseDecimalAmount("5000.00", 2).value() == 500000);
    CHECK(ParseDecimalAmount("5000", 2).value() == 500000);
    CHECK(ParseDecimalAmount("0.1", 2).value() == 10);
    CHECK(ParseDecimalAmount("19.99", 2).value() == 1999);
    CHECK(ParseDecimalAmount("10.500", 2).value() == 1050);  // trailing zero is still exact
    CHECK(ParseDecimalAmount("1.234", 3).value() == 1234);
    CHECK(ParseDecimalAmount("1500", 0).value() == 1500);
    // 0.1 + 0.2 style values that binary floating point cannot hold.
    CHECK(ParseDecimalAmount("0.30", 2).value() == 30);
    CHECK(ParseDecimalAmount("92233720368547758.07", 2).value() ==
          std::numeric_limits<int64_t>::max());
  }

  TEST_CASE("anything else is rejected with a reason") {
    for (const char* bad : {"", "-1", "+1", ".5", "5.", "1,5", "abc", "1.2.3", " 1"}) {
      CHECK_MESSAGE(!ParseDecimalAmount(bad, 2).ok(), bad);
    }
    CHECK(ParseDecimalAmount("1.001", 2).status().message() ==
          "has more than 2 decimal places for this currency");
    CHECK_FALSE(ParseDecimalAmount("1.5", 0).ok());
    CHECK(ParseDecimalAmount("92233720368547758.08", 2).status().message() == "is too large");
  }

  TEST_CASE("exponent forms parse exactly: the power of ten is applied to the decimal digits") {
    CHECK(ParseDecimalAmount("1e2", 2).value() == 10000);
    CHECK(ParseDecimalAmount("1E2", 2).value() == 10000);
    CHECK(ParseDecimalAmount("1e+2", 2).value() == 10000);
    CHECK(ParseDecimalAmount("5.0E1", 2).value() == 5000);
    CHECK(ParseDecimalAmount("1.5e1", 2).value() == 1500);
    CHECK(ParseDecimalAmount("1.234e1", 2).value() == 1234);  // 12.34
    CHECK(ParseDecimalAmount("1e-2", 2).value() == 1);        // 0.01
    CHECK(ParseDecimalAmount("1250e-3", 2).value() == 125);   // 1.250
    CHECK(ParseDecimalAmount("1.5e-1", 3).value() == 150);    // 0.150 KWD
    CHECK(ParseDecimalAmount("1.5e1", 0).value() == 15);
    CHECK(ParseDecimalAmount("100e-2", 0).value() == 1);
    CHECK(ParseDecimalAmount("1e007", 2).value() == 1000000000);  // JSON allows leading zeros here
    CHECK(ParseDecimalAmount("0e300", 2).value() == 0);
    CHECK(ParseDecimalAmount("0.0000000001e10", 2).value() == 100);
    CHECK(ParseDecimalAmount("9.223372036854775807e16", 2).value() ==
          std::numeric_limits<int64_t>::max());
  }

  TEST_CASE("exponent forms: too precise, too large, out of range, malformed") {
    CHECK(ParseDecimalAmount("1e-3", 2).status().message() ==
          "has more than 2 decimal places for this currency");
    CHECK(ParseDecimalAmount("1.2345e1", 2).status().message() ==
          "has more than 2 decimal places for this currency");
    CHECK(ParseDecimalAmount("1.5e-1", 0).status().message() ==
          "has more than 0 decimal places for this currency");
    CHECK(ParseDecimalAmount("1e17", 2).status().message() == "is too large");
    CHECK(ParseDecimalAmount("9.223372036854775808e16", 2).status().message() == "is too large");
    CHECK(ParseDecimalAmount("1e308", 2).status().message() == "is too large");
    // Exponents past the bound are refused before any work is done on them.
    for (const std::string& huge :
         {std::string("1e309"), std::string("1e-309"), std::string("1e999999"),
          std::string("1e-999999"), "1e" + std::string(64, '9')}) {
      CHECK_MESSAGE(
          ParseDecimalAmount(huge, 2).status().message() == "has an exponent beyond 308 either way",
          huge.substr(0, 20));
    }
    for (const char* bad : {"1e", "1e+", "1e-", "e2", "1.e2", "1e2.5", "1ee2", "1e 2", "1e2e1"}) {
      CHECK_MESSAGE(!ParseDecimalAmount(bad, 2).ok(), bad);
    }
  }

  TEST_CASE("formatting is the inverse of parsing") {
    CHECK(FormatDecimalAmount(500000, 2) == "5000.00");
    CHECK(FormatDecimalAmount(5, 2) == "0.05");
    CHECK(FormatDecimalAmount(1234, 3) == "1.234");
    CHECK(FormatDecimalAmount(1500, 0) == "1500");
    CHECK(FormatDecimalAmount(-5, 2) == "-0.05");
    for (int64_t v : {0LL, 1LL, 99LL, 100LL, 123456789LL}) {
      for (int digits : {0, 2, 3}) {
        CHECK(ParseDecimalAmount(FormatDecimalAmount(v, digits), digits).value() == v);
      }
    }
  }
}

}  // namespace
}  // namespace wanderluxe
