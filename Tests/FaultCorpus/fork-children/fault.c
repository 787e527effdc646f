#define PFNSPEC_FAULT_FORK_CHILDREN
#define PFNSPEC_FAULT_NAME "fork-children"
#define PFNSPEC_FAULT_SUMMARY "forks a child and a setsid daemon that never exit"
#include "../fault_walker.h"
