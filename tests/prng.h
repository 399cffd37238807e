/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prng.h - the tests' random numbers: xorshift64 (Marsaglia), one stream
 * per program. Seed it by setting or mixing into `rng` before the first
 * draw; the same seed gives the same test on every machine.
 */
#ifndef VRSC_TESTS_PRNG_H
#define VRSC_TESTS_PRNG_H

#include <stdint.h>

static uint64_t rng = 0x9e3779b97f4a7c15u;

static inline uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Uniform enough in [0, n); 0 for n == 0. */
static inline uint64_t rnd(uint64_t n)
{
    return n ? rnd64() % n : 0;
}

#endif
