// COIN-OR CBC's C interface (Debian: coinor-libcbc-dev), used by the exact solver in WeftCore.
#include <Cbc_C_Interface.h>
