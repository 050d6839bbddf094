#ifndef WEFT_CLIBPQ_SHIM_H
#define WEFT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
