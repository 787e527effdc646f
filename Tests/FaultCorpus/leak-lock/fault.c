#define PFNSPEC_FAULT_LEAK_LOCK
#define PFNSPEC_FAULT_NAME "leak-lock"
#define PFNSPEC_FAULT_SUMMARY "forgets the lock it took, so end() never releases it"
#include "../fault_walker.h"
