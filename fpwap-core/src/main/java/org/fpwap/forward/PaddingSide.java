package org.fpwap.forward;

/** Where pad positions go in a microbatch. Results for real tokens do not depend on it. */
public enum PaddingSide {
    LEFT,
    RIGHT
}
