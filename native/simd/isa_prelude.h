// Standard headers every ISA unit needs, included at global scope before the unit opens its
// own namespace (the kernel headers are then included inside that namespace).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../common.h"
