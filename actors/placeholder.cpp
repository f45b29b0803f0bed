namespace fluxd {}
