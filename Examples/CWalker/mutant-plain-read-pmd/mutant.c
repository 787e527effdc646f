/* The example walker with one defect: the pmd entry is read plainly, without its lock. */
#define PFNSPEC_EXAMPLE_NAME "example-c:plain-read-pmd"
#define PFNSPEC_EXAMPLE_SUMMARY "the C example, except that it reads *pmdp plainly before taking the PMD lock (a data race KCSAN reports)"
#define PFNSPEC_EXAMPLE_ROLE "mutant"
#define PFNSPEC_EXAMPLE_MUTANT_PLAIN_READ_PMD
#include "../reference/follow_pfnmap.c"
