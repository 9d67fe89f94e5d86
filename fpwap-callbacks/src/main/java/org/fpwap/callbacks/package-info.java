/**
 * The reference callbacks (RawActivations, IncrementalPCA, DiffOfMeans, SteerInBasis), written only
 * against fpwap-core's public callback API. Empty until the callback API exists (the Sweep engine issue).
 */
package org.fpwap.callbacks;
