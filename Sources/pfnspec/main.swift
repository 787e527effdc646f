print("pfnspec")
