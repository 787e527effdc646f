/* The example walker with one defect: a non-present pte returns with the PTE lock still held. */
#define PFNSPEC_EXAMPLE_NAME "example-c:leak-lock-on-failure"
#define PFNSPEC_EXAMPLE_SUMMARY "the C example, except that it returns -EINVAL for a non-present pte with the PTE lock held"
#define PFNSPEC_EXAMPLE_ROLE "mutant"
#define PFNSPEC_EXAMPLE_MUTANT_LEAK_LOCK
#include "../reference/follow_pfnmap.c"
