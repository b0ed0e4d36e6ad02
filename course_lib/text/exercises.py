"""Text the exercise notebook (notebooks/exercises/src/solutions.py) prints itself; the checkers' sentences are in
course_lib.classroom.messages."""
TEXT = {
    "exercises.validation_images": {
        "en": "{n} validation images: one image is {share:.3f} of accuracy",
        "zh": "{n} 张验证图片：一张图片相当于 {share:.3f} 的准确率"},
}
