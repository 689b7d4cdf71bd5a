// Counts down a "Please wait N seconds" notice and holds the form's button until then.
// Without JavaScript the notice reads right as served and the button works (an early
// try is simply refused again), so this only makes the wait visible.
"use strict";
document.querySelectorAll("[data-countdown]").forEach(function (span) {
  var left = parseInt(span.getAttribute("data-countdown"), 10);
  var heading = document.getElementById(span.getAttribute("data-heading"));
  var text = document.getElementById(span.getAttribute("data-text"));
  var button = document.getElementById(span.getAttribute("data-button"));
  var box = document.getElementById(span.getAttribute("data-box"));
  var field = document.getElementById(span.getAttribute("data-field"));
  // The page's own words, in its language ("#" stands for the number); English otherwise.
  var one = span.getAttribute("data-one") || "1 second";
  var many = span.getAttribute("data-many") || "# seconds";
  var doneHeading = span.getAttribute("data-done-heading") || "You can try again now";
  var doneText = span.getAttribute("data-done-text") || "Enter your password and choose Sign in.";
  if (!(left > 0)) {
    return;
  }
  if (button) {
    button.disabled = true;
  }
  var timer = setInterval(function () {
    left -= 1;
    if (left > 0) {
      span.textContent = left === 1 ? one : many.replace("#", String(left));
      return;
    }
    clearInterval(timer);
    // No longer a problem: the notice turns from an alert into a plain notice.
    if (box) {
      box.className = "notice";
    }
    if (field) {
      field.removeAttribute("aria-invalid");
    }
    if (heading) {
      heading.textContent = doneHeading;
    }
    if (text) {
      text.textContent = doneText;
    }
    if (button) {
      button.disabled = false;
    }
  }, 1000);
});
