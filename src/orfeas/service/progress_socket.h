// Being written: the WebSocket handler of /api/ws over the EventHub; see events.h.
#pragma once
