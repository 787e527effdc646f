#define PFNSPEC_FAULT_CLOSE_AND_SPIN
#define PFNSPEC_FAULT_NAME "close-and-spin"
#define PFNSPEC_FAULT_SUMMARY "closes every descriptor and spins"
#include "../fault_walker.h"
