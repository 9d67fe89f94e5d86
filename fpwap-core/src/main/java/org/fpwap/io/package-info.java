/**
 * File-system safety shared by every writer: reserving a file's blocks before it is mapped (so a full
 * disk is a catchable error, never a SIGBUS inside a mapped store) and the one exception that names the
 * path, what was being written and the bytes needed.
 */
package org.fpwap.io;
