/**
 * Programs that use panama-rnn as a user would, kept out of the library jars:
 * {@link io.github.panamarnn.examples.TutorialDemo} (DyNet's RNN tutorial as a program, or
 * training on any UTF-8 text) with its {@link io.github.panamarnn.examples.CharLanguageModel}
 * and {@link io.github.panamarnn.examples.CharVocabulary}.
 */
package io.github.panamarnn.examples;
