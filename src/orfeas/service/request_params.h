// Being written: a job request's parameters from a query string or form fields.
#pragma once
