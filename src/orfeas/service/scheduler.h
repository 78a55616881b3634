// Being written (internal to the service): see service.h.
#pragma once
