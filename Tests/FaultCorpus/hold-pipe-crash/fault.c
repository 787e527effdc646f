#define PFNSPEC_FAULT_HOLD_PIPE_CRASH
#define PFNSPEC_FAULT_NAME "hold-pipe-crash"
#define PFNSPEC_FAULT_SUMMARY "forks a child that holds the channel, then crashes"
#include "../fault_walker.h"
