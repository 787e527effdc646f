/* kvm-like-c with one defect: its notifier bumps the sequence but leaves the sptes in place. */
#define KVM_LIKE_NAME "mutant:kvm-notifier-keeps-map-c"
#define KVM_LIKE_SUMMARY "kvm-like-c with a defect: kvm-notifier-keeps-map (invalidate_range_start() zaps nothing)"
#define KVM_LIKE_ROLE "mutant"
#define KVM_LIKE_MUTANT_NOTIFIER_KEEPS_MAP
#include "../kvm-like/kvm_like.c"
