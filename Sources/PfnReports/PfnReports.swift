// Module PfnReports.
