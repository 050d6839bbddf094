#ifndef WEFT_COPENSSL_SHIM_H
#define WEFT_COPENSSL_SHIM_H
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#endif
