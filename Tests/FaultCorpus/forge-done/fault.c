#define PFNSPEC_FAULT_FORGE_DONE
#define PFNSPEC_FAULT_NAME "forge-done"
#define PFNSPEC_FAULT_SUMMARY "writes the worker's end-of-run event to every descriptor and exits 0"
#include "../fault_walker.h"
