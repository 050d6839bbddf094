// COIN-OR CBC's C interface (Debian: coinor-libcbc-dev), used only by weft-mip-worker (the
// exact step's child process), and a helper with which the worker dies with its parent.
#include <Cbc_C_Interface.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
/// prctl(PR_SET_PDEATHSIG, SIGKILL): killed when the parent process ends.
static inline int weft_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); }
#endif
