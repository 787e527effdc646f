#define PFNSPEC_FAULT_GROW_MEMORY
#define PFNSPEC_FAULT_NAME "grow-memory"
#define PFNSPEC_FAULT_SUMMARY "reserves memory until malloc fails, then uses the NULL it got"
#include "../fault_walker.h"
