// Being written: see api.h / service.h.
