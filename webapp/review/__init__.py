"""The reviewers of the accreditation body: the queue and the review screen."""
