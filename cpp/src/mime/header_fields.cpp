#include "mailroom/mime/header_fields.hpp"
