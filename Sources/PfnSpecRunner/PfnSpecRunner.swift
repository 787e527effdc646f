// Module PfnSpecRunner.
