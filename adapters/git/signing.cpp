#include "adapters/git/signing.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <mutex>

#include <gpgme.h>

#include "adapters/git/error.hpp"

namespace fluxd::git {

namespace {

struct ctx_deleter {
  void operator()(gpgme_ctx_t c) const { gpgme_release(c); }
};
struct data_deleter {
  void operator()(gpgme_data_t d) const { gpgme_data_release(d); }
};
struct key_deleter {
  void operator()(gpgme_key_t k) const { gpgme_key_unref(k); }
};
using ctx_ptr = std::unique_ptr<gpgme_context, ctx_deleter>;
using data_ptr = std::unique_ptr<gpgme_data, data_deleter>;
using key_ptr = std::unique_ptr<_gpgme_key, key_deleter>;

std::string gpg_text(gpgme_error_t err) {
  return gpgme_strerror(err);
}

ctx_ptr make_context(const std::string& home) {
  static std::once_flag once;
  std::call_once(once, [] { gpgme_check_version(nullptr); });
  gpgme_ctx_t raw = nullptr;
  if (auto err = gpgme_new(&raw))
    throw git_failure(error_kind::signature,
                      "cannot start gpgme: " + gpg_text(err));
  ctx_ptr ctx{raw};
  gpgme_set_protocol(raw, GPGME_PROTOCOL_OpenPGP);
  gpgme_set_armor(raw, 1);
  gpgme_set_pinentry_mode(raw, GPGME_PINENTRY_MODE_LOOPBACK);
  if (!home.empty())
    gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr,
                              home.c_str());
  return ctx;
}

data_ptr memory_data(const std::string& bytes) {
  gpgme_data_t d = nullptr;
  if (auto err = gpgme_data_new_from_mem(&d, bytes.data(), bytes.size(), 1))
    throw git_failure(error_kind::signature,
                      "gpgme data buffer: " + gpg_text(err));
  return data_ptr{d};
}

data_ptr empty_data() {
  gpgme_data_t d = nullptr;
  if (auto err = gpgme_data_new(&d))
    throw git_failure(error_kind::signature,
                      "gpgme data buffer: " + gpg_text(err));
  return data_ptr{d};
}

std::string take_data(gpgme_data_t d) {
  size_t len = 0;
  char* p = gpgme_data_release_and_get_mem(d, &len);
  std::string out{p ? p : "", p ? len : 0};
  gpgme_free(p);
  return out;
}

gpgme_error_t no_passphrase(void*, const char*, const char*, int, int fd) {
  // Keys must be usable without a passphrase (as in Flux v1): answer an
  // empty one so gpg fails fast instead of waiting on a pinentry.
  gpgme_io_writen(fd, "\n", 1);
  return 0;
}

/// Answers gpg's --edit-key dialogue: trust → 5 (ultimate) → yes → quit.
gpgme_error_t trust_dialogue(void* opaque, const char* keyword,
                             const char* args, int fd) {
  auto step = static_cast<int*>(opaque);
  if (!keyword || fd < 0)
    return 0;
  std::string kw{keyword}, prompt{args ? args : ""};
  const char* answer = nullptr;
  if (kw == "GET_LINE" && prompt == "keyedit.prompt")
    answer = (*step)++ == 0 ? "trust\n" : "quit\n";
  else if (kw == "GET_LINE" && prompt == "edit_ownertrust.value")
    answer = "5\n";
  else if (kw == "GET_BOOL")
    answer = "Y\n";
  else if (kw == "GET_LINE" || kw == "GET_HIDDEN")
    answer = "\n";
  if (answer)
    gpgme_io_writen(fd, answer, std::strlen(answer));
  return 0;
}

} // namespace

std::vector<std::string>
openpgp::import_keys(const std::vector<std::string>& paths,
                     bool trust_ultimately,
                     std::vector<std::string>* errors) const {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_regular_file())
          files.push_back(entry.path().string());
    } else {
      files.push_back(p);
    }
  }
  std::vector<std::string> imported;
  auto ctx = make_context(home_);
  for (auto& file : files) {
    std::ifstream in{file, std::ios::binary};
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) {
      if (errors)
        errors->push_back("cannot read " + file);
      continue;
    }
    auto data = memory_data(bytes.str());
    if (auto err = gpgme_op_import(ctx.get(), data.get())) {
      if (errors)
        errors->push_back("importing " + file + ": " + gpg_text(err));
      continue;
    }
    auto result = gpgme_op_import_result(ctx.get());
    for (auto i = result ? result->imports : nullptr; i; i = i->next)
      if (i->fpr && gpgme_err_code(i->result) == GPG_ERR_NO_ERROR)
        imported.push_back(i->fpr);
    if (result && result->considered == 0 && errors)
      errors->push_back("no keys in " + file);
  }
  if (trust_ultimately) {
    for (auto& fpr : imported) {
      gpgme_key_t raw = nullptr;
      if (gpgme_get_key(ctx.get(), fpr.c_str(), &raw, 0))
        continue;
      key_ptr key{raw};
      int step = 0;
      auto out = empty_data();
      if (auto err = gpgme_op_interact(ctx.get(), key.get(), 0, trust_dialogue,
                                       &step, out.get());
          err && errors)
        errors->push_back("trusting " + fpr + ": " + gpg_text(err));
    }
  }
  return imported;
}

openpgp::openpgp(std::string home) : home_(std::move(home)) {}

std::string openpgp::sign(const std::string& data,
                          const std::string& key_id) const {
  auto ctx = make_context(home_);
  gpgme_key_t raw_key = nullptr;
  if (auto err = gpgme_get_key(ctx.get(), key_id.c_str(), &raw_key, 1))
    throw git_failure(error_kind::signature,
                      "signing key " + key_id
                          + " not found in the GnuPG "
                            "keyring ("
                          + (home_.empty() ? "GNUPGHOME" : home_)
                          + "): " + gpg_text(err)
                          + "; import it with --git-gpg-key-import");
  key_ptr key{raw_key};
  gpgme_signers_clear(ctx.get());
  gpgme_signers_add(ctx.get(), key.get());
  gpgme_set_passphrase_cb(ctx.get(), no_passphrase, nullptr);
  auto in = memory_data(data);
  auto out = empty_data();
  if (auto err =
          gpgme_op_sign(ctx.get(), in.get(), out.get(), GPGME_SIG_MODE_DETACH))
    throw git_failure(error_kind::signature,
                      "signing with key " + key_id + " failed: " + gpg_text(err)
                          + " (keys must be usable without a passphrase)");
  return take_data(out.release());
}

signature_check openpgp::verify(const std::string& data,
                                const std::string& signature) const {
  signature_check check;
  if (signature.empty())
    return check;
  auto ctx = make_context(home_);
  auto sig = memory_data(signature);
  auto text = memory_data(data);
  auto err = gpgme_op_verify(ctx.get(), sig.get(), text.get(), nullptr);
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx.get());
  if (err || !result || !result->signatures) {
    check.status = 'E';
    return check;
  }
  gpgme_signature_t s = result->signatures;
  check.fingerprint = s->fpr ? s->fpr : "";
  switch (gpgme_err_code(s->status)) {
    case GPG_ERR_NO_ERROR:
      check.status = (s->summary & GPGME_SIGSUM_VALID)
                             || s->validity == GPGME_VALIDITY_FULL
                             || s->validity == GPGME_VALIDITY_ULTIMATE
                         ? 'G'
                         : 'U';
      break;
    case GPG_ERR_BAD_SIGNATURE:
      check.status = 'B';
      break;
    case GPG_ERR_SIG_EXPIRED:
      check.status = 'X';
      break;
    case GPG_ERR_KEY_EXPIRED:
      check.status = 'Y';
      break;
    case GPG_ERR_CERT_REVOKED:
      check.status = 'R';
      break;
    default:
      check.status = 'E';
      break;
  }
  return check;
}

} // namespace fluxd::git
