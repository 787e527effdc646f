// Module PfnSpecLanguage.
