/**
 * Turns JMH JSON results into {@code bench/reports/REPORT.md} and its SVG charts; plain Java,
 * no dependencies beyond the JDK.
 */
package io.github.panamarnn.bench.report;
