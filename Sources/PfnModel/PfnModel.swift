// Module PfnModel.
