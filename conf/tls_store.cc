#include "conf/tls_store.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gw::conf {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct P12Free {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// The PKCS#12 file's content (certificates and key).
struct Contents {
  std::vector<X509Ptr> certs;
  KeyPtr key;
};

std::string lastSslError() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open (no such file?)"));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  return content.str();
}

StoreFormat formatOf(const std::string& data) {
  return data.find("-----BEGIN ") != std::string::npos ? StoreFormat::Pem : StoreFormat::Pkcs12;
}

absl::Status notAStore(const std::string& path, const std::string& data) {
  if (data.size() >= 4 && static_cast<unsigned char>(data[0]) == 0xfe &&
      static_cast<unsigned char>(data[1]) == 0xed && static_cast<unsigned char>(data[2]) == 0xfe &&
      static_cast<unsigned char>(data[3]) == 0xed) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": a Java KeyStore (JKS), which is not supported; convert it to PKCS#12 with keytool "
        "-importkeystore -srckeystore <file> -destkeystore <file>.p12 -deststoretype PKCS12"));
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": neither PEM nor PKCS#12 (.p12 / .pfx)"));
}

absl::StatusOr<Contents> openPkcs12(const std::string& path, const std::string& data,
                                    const std::string& password) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  std::unique_ptr<PKCS12, P12Free> p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) {
    ERR_clear_error();
    return notAStore(path, data);
  }
  if (PKCS12_verify_mac(p12.get(), password.c_str(), -1) != 1 &&
      PKCS12_verify_mac(p12.get(), nullptr, 0) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the PKCS#12 store does not open with the configured password (wrong password?)"));
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": cannot read the PKCS#12 store: ", lastSslError(),
        " (a store made with old algorithms such as RC2 needs re-exporting: openssl pkcs12 "
        "-legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12)"));
  }
  Contents out;
  out.key.reset(key);
  if (cert != nullptr) out.certs.emplace_back(cert);
  std::unique_ptr<STACK_OF(X509), StackFree> stack(ca);
  while (stack && sk_X509_num(stack.get()) > 0) out.certs.emplace_back(sk_X509_shift(stack.get()));
  return out;
}

absl::StatusOr<Contents> openPem(const std::string& data, const std::string& password) {
  Contents out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.certs.emplace_back(cert);
  }
  ERR_clear_error();
  bio.reset(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  // With no callback, OpenSSL takes the last argument as the passphrase (and
  // never prompts on the terminal).
  out.key.reset(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(password.c_str())));
  ERR_clear_error();
  return out;
}

absl::StatusOr<Contents> openStore(const std::string& path, const std::string& password) {
  absl::StatusOr<std::string> data = readFile(path);
  if (!data.ok()) return data.status();
  if (formatOf(*data) == StoreFormat::Pem) return openPem(*data, password);
  return openPkcs12(path, *data, password);
}

}  // namespace

absl::Status addTrustStore(X509_STORE* store, const std::string& path,
                           const std::string& password) {
  absl::StatusOr<Contents> contents = openStore(path, password);
  if (!contents.ok()) return contents.status();
  if (contents->certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no certificate in the trust store"));
  }
  for (const X509Ptr& cert : contents->certs) {
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      // The same certificate twice is harmless; anything else is reported.
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": cannot add a certificate: ", lastSslError()));
      }
      ERR_clear_error();
    }
  }
  return absl::OkStatus();
}

absl::Status checkTrustStore(const std::string& path, const std::string& password) {
  std::unique_ptr<X509_STORE, StoreFree> scratch(X509_STORE_new());
  return addTrustStore(scratch.get(), path, password);
}

absl::Status checkKeyStore(const std::string& path, const std::string& password) {
  absl::StatusOr<Contents> contents = openStore(path, password);
  if (!contents.ok()) return contents.status();
  if (!contents->key) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no private key in the key store"));
  }
  if (contents->certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no certificate in the key store"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyStoreContents> loadKeyStore(const std::string& path, const std::string& password,
                                              const std::string& key_path) {
  absl::StatusOr<Contents> contents = openStore(path, password);
  if (!contents.ok()) return contents.status();
  if (!key_path.empty()) {
    absl::StatusOr<Contents> key = openStore(key_path, password);
    if (!key.ok()) return key.status();
    if (!key->key) {
      return absl::InvalidArgumentError(absl::StrCat(key_path, ": no private key in the file"));
    }
    contents->key = std::move(key->key);
  }
  const std::string& key_file = key_path.empty() ? path : key_path;
  if (!contents->key) {
    return absl::InvalidArgumentError(absl::StrCat(key_file, ": no private key in the key store"));
  }
  if (contents->certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no certificate in the key store"));
  }
  KeyStoreContents out;
  for (X509Ptr& cert : contents->certs) {
    if (!out.certificate && X509_check_private_key(cert.get(), contents->key.get()) == 1) {
      out.certificate.reset(cert.release());
    } else {
      out.chain.emplace_back(cert.release());
    }
  }
  ERR_clear_error();
  if (!out.certificate) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_file, ": the private key does not belong to any certificate in ", path));
  }
  out.key.reset(contents->key.release());
  return out;
}

std::string openSslCipherList(const std::vector<std::string>& names,
                              std::vector<std::string>& unknown) {
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  std::unique_ptr<SSL, void (*)(SSL*)> ssl(nullptr, SSL_free);
  if (ctx && SSL_CTX_set_cipher_list(ctx.get(), "ALL:COMPLEMENTOFALL") == 1) {
    ssl.reset(SSL_new(ctx.get()));
  }
  ERR_clear_error();
  STACK_OF(SSL_CIPHER)* all = ssl ? SSL_get_ciphers(ssl.get()) : nullptr;
  std::string list;
  for (const std::string& name : names) {
    const char* found = nullptr;
    for (int i = 0; all != nullptr && i < sk_SSL_CIPHER_num(all); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
      if (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3") continue;
      const char* standard = SSL_CIPHER_standard_name(c);
      if (name == SSL_CIPHER_get_name(c) || (standard != nullptr && name == standard)) {
        found = SSL_CIPHER_get_name(c);
        break;
      }
    }
    if (found == nullptr) {
      unknown.push_back(name);
      continue;
    }
    if (!list.empty()) list += ':';
    list += found;
  }
  return list;
}

absl::StatusOr<std::string> certificatePemByAlias(const std::string& path,
                                                  const std::string& password,
                                                  const std::string& alias) {
  absl::StatusOr<Contents> contents = openStore(path, password);
  if (!contents.ok()) return contents.status();
  for (const X509Ptr& cert : contents->certs) {
    int length = 0;
    const unsigned char* name = X509_alias_get0(cert.get(), &length);
    if (name == nullptr ||
        !absl::EqualsIgnoreCase(
            absl::string_view(reinterpret_cast<const char*>(name), static_cast<size_t>(length)),
            alias)) {
      continue;
    }
    std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_X509(out.get(), cert.get()) != 1) break;
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<size_t>(size));
  }
  return absl::NotFoundError(absl::StrCat(path, ": no certificate with the alias '", alias, "'"));
}

}  // namespace gw::conf
