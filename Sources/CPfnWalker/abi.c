/* The headers are the product; this file only gives the target an object. */
#include "pfnspec_walker.h"

const unsigned pfnspec_walker_header_abi_version = PFNSPEC_ABI_VERSION;
