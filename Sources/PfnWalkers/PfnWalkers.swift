// Module PfnWalkers.
