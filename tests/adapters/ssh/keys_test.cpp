#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <sstream>

#include "adapters/ssh/keys.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd::ssh;
using fluxd::test::read_file;
using fluxd::test::run;
using fluxd::test::write_file;

namespace {

/// Writes a key file as fluxd does (0600: ssh-keygen refuses others).
std::string key_file(const fluxd::test::temp_dir& dir, const key_pair& k,
                     const std::string& name) {
  auto path = dir.file(name);
  write_file(path, k.private_key);
  std::filesystem::permissions(path, std::filesystem::perms::owner_read
                                         | std::filesystem::perms::owner_write);
  return path;
}

/// Flux v1's ExtractFingerprint: `ssh-keygen -l -v -E <alg> -f <key>`,
/// its first line's hash field, and the rest (the randomart).
fingerprint keygen_fingerprint(const std::string& path,
                               const std::string& algorithm) {
  auto r = run({"ssh-keygen", "-l", "-v", "-E", algorithm, "-f", path});
  REQUIRE(r.status == 0);
  auto nl = r.out.find('\n');
  REQUIRE(nl != std::string::npos);
  static const std::regex line{
      R"(^([0-9]+) ([^:]+):([^ ]+) (.*?) \(([^)]+)\)$)"};
  std::smatch m;
  auto first = r.out.substr(0, nl);
  REQUIRE(std::regex_match(first, m, line));
  return {m[3].str(), r.out.substr(nl + 1)};
}

/// "<algorithm> <base64>" of a public key line (the comment dropped).
std::string key_part(const std::string& line) {
  std::istringstream in{line};
  std::string algorithm, key;
  in >> algorithm >> key;
  return algorithm + " " + key;
}

void check_against_ssh_keygen(const key_pair& k, const std::string& path) {
  auto y = run({"ssh-keygen", "-y", "-f", path});
  REQUIRE(y.status == 0);
  CHECK(key_part(y.out) == key_part(k.public_line()));
  for (auto alg : {"md5", "sha256"}) {
    auto theirs = keygen_fingerprint(path, alg);
    auto ours = fingerprint_of(k, alg);
    CHECK(ours.hash == theirs.hash);
    CHECK(ours.randomart == theirs.randomart);
  }
}

} // namespace

TEST_CASE("generated keys read back by ssh-keygen with equal fingerprints") {
  fluxd::test::temp_dir dir;
  struct variant {
    key_spec spec;
    std::string type;
    int bits;
  };
  for (auto v : {variant{{"ed25519", 0, "fluxd@test"}, "ED25519", 256},
                 variant{{"", 0, ""}, "ED25519", 256},
                 variant{{"rsa", 2048, ""}, "RSA", 2048},
                 variant{{"ecdsa", 384, ""}, "ECDSA", 384}}) {
    INFO(v.type << " " << v.bits);
    auto k = generate_key(v.spec);
    CHECK(k.type == v.type);
    CHECK(k.bits == v.bits);
    auto path = key_file(dir, k, "id_" + std::to_string(v.bits));
    check_against_ssh_keygen(k, path);
    // What fluxd reads back from the Secret is the same key.
    auto again = parse_private_key(k.private_key, path);
    CHECK(again.blob == k.blob);
    CHECK(again.comment == v.spec.comment);
  }
}

TEST_CASE("keys ssh-keygen made are read: OpenSSH and PEM formats") {
  fluxd::test::temp_dir dir;
  struct made {
    std::vector<std::string> args;
    std::string name;
  };
  for (auto m : {made{{"-t", "ed25519", "-C", "someone@host"}, "ed"},
                 made{{"-t", "rsa", "-b", "2048"}, "rsa_openssh"},
                 made{{"-t", "rsa", "-b", "2048", "-m", "PEM"}, "rsa_pem"},
                 made{{"-t", "ecdsa", "-b", "521", "-m", "PEM"}, "ec_pem"},
                 made{{"-t", "ecdsa"}, "ec_openssh"}}) {
    INFO(m.name);
    auto path = dir.file(m.name);
    std::vector<std::string> argv{"ssh-keygen", "-q", "-N", "", "-f", path};
    argv.insert(argv.end(), m.args.begin(), m.args.end());
    REQUIRE(run(argv).status == 0);
    auto k = parse_private_key(read_file(path), path);
    check_against_ssh_keygen(k, path);
    if (m.name == "ed")
      CHECK(k.public_line() == read_file(path + ".pub"));
  }
}

TEST_CASE("unusable keys are refused with the origin named") {
  fluxd::test::temp_dir dir;
  auto path = dir.file("locked");
  REQUIRE(run({"ssh-keygen", "-q", "-N", "secret", "-t", "ed25519", "-f",
               path})
              .status
          == 0);
  CHECK_THROWS_WITH(parse_private_key(read_file(path), "Secret x/y"),
                    Catch::Contains("Secret x/y")
                        && Catch::Contains("encrypted"));
  CHECK_THROWS_WITH(parse_private_key("not a key", "Secret x/y"),
                    Catch::Contains("Secret x/y"));
  CHECK_THROWS_WITH(generate_key({"dsa", 0, ""}),
                    Catch::Contains("--ssh-keygen-type dsa"));
  CHECK_THROWS_WITH(generate_key({"ecdsa", 300, ""}),
                    Catch::Contains("--ssh-keygen-bits 300"));
}

TEST_CASE("base64 round trip") {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd",
                                               std::string("\0\xff", 2)})
    CHECK(base64_decode(base64_encode(s), "t") == s);
  CHECK(base64_encode("ab") == "YWI=");
  CHECK_THROWS_AS(base64_decode("a!b", "t"), key_error);
}
