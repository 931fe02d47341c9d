"""What can be trained: the BERT classifier, the head-only method, the n-gram baseline and teacher."""
